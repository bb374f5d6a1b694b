package app

import (
	"strings"
	"sync/atomic"

	"github.com/google/go-github/v60/github"
)

// Base is what every event handler shares: who this App is and where the
// soa repository lives.
type Base struct {
	// AppID is this App's id; check suites and runs of other Apps are not ours
	// to re-run.
	AppID int64
	// SOARepo is "owner/name" of the yelpsoa-configs repository, or "".
	SOARepo string

	state *state
	// botLogin is this App's bot user ("<slug>[bot]"), once known: events
	// it caused are ignored, so the App never reacts to itself.
	botLogin atomic.Pointer[string]
}

// SetBotLogin records this App's bot user, "<slug>[bot]".
func (b *Base) SetBotLogin(login string) { b.botLogin.Store(&login) }

// fromSelf reports whether the sender of an event is this App's bot.
func (b *Base) fromSelf(sender *github.User) bool {
	login := b.botLogin.Load()
	return login != nil && *login != "" && sender.GetType() == "Bot" && strings.EqualFold(sender.GetLogin(), *login)
}

// isSOARepo reports whether owner/name is the configured soa repository.
func (b *Base) isSOARepo(owner, name string) bool { return b.isSOAFullName(owner + "/" + name) }

// isSOAFullName reports whether "owner/name" is the configured soa
// repository.
func (b *Base) isSOAFullName(fullName string) bool {
	return b.SOARepo != "" && strings.EqualFold(b.SOARepo, fullName)
}

// ownApp reports whether an App mentioned in an event is this App. A payload
// that names no App is taken as ours, since GitHub sends check suite and run
// events only to the App that owns them.
func (b *Base) ownApp(app *github.App) bool {
	return app.GetID() == 0 || app.GetID() == b.AppID
}
