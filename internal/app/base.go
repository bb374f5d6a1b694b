package app

import (
	"strings"

	"github.com/google/go-github/v60/github"
)

// Base is what every event handler shares: who this App is and where the
// soa repository lives.
type Base struct {
	// AppID is this App's id; check suites and runs of other Apps are not ours
	// to re-run.
	AppID int64
	// BotLogin is this App's bot user ("<slug>[bot]"), or "" when unknown.
	// Events it caused are ignored, so the App never reacts to itself.
	BotLogin string
	// SOARepo is "owner/name" of the yelpsoa-configs repository, or "".
	SOARepo string

	state *state
}

// fromSelf reports whether the sender of an event is this App's bot.
func (b *Base) fromSelf(sender *github.User) bool {
	return b.BotLogin != "" && sender.GetType() == "Bot" && strings.EqualFold(sender.GetLogin(), b.BotLogin)
}

// isSOARepo reports whether owner/name is the configured soa repository.
func (b *Base) isSOARepo(owner, name string) bool {
	return b.SOARepo != "" && strings.EqualFold(b.SOARepo, owner+"/"+name)
}

// ownApp reports whether an App mentioned in an event is this App. A payload
// that names no App is taken as ours, since GitHub sends check suite and run
// events only to the App that owns them.
func (b *Base) ownApp(app *github.App) bool {
	return app.GetID() == 0 || app.GetID() == b.AppID
}
