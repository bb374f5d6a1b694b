package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"
)

// Log field names, as go-githubapp names them, so that dashboards built for
// go-githubapp apps work on contractbot's logs.
const (
	logDeliveryID     = "github_delivery_id"
	logEventType      = "github_event_type"
	logInstallationID = "github_installation_id"
	logRepoOwner      = "github_repository_owner"
	logRepoName       = "github_repository_name"
	logPRNum          = "github_pr_num"
	logSHA            = "github_sha"
	logAction         = "action"
	logTaskID         = "job_id"
)

// EventHandler handles the deliveries of some webhook events, in
// go-githubapp's shape with one addition: q lets a handler enqueue the work
// it decides on, so that the work is as durable as the delivery itself.
type EventHandler interface {
	// Handles lists the X-GitHub-Event values this handler accepts.
	Handles() []string
	// Handle processes one delivery. An error makes the queue retry the
	// delivery later; return nil for events that need no work.
	Handle(ctx context.Context, eventType, deliveryID string, payload []byte, q Enqueuer) error
}

// ErrBadPayload marks a delivery that can never be processed (it does not
// parse, or it lacks what the event must carry). Retrying it is pointless.
var ErrBadPayload = errors.New("bad webhook payload")

// dbTimestamp matches timestamps written as "2018-04-25 20:42:10", the form
// real check_run.rerequested payloads use for check_run.app.created_at,
// which go-github's Timestamp rejects.
var dbTimestamp = regexp.MustCompile(`"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})"`)

// decodeEvent unmarshals a payload into a go-github event type. Real
// payloads are not always what GitHub's schema says (integer created_at,
// space-separated timestamps); go-github copes with the first, and a failed
// time parse is retried once with the second rewritten to RFC 3339.
func decodeEvent(payload []byte, v any) error {
	err := json.Unmarshal(payload, v)
	var perr *time.ParseError
	if errors.As(err, &perr) {
		err = json.Unmarshal(dbTimestamp.ReplaceAll(payload, []byte(`"${1}T${2}Z"`)), v)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	return nil
}

// installationID returns the installation a delivery belongs to; every
// event this App acts on carries one.
func installationID(inst *github.Installation) (int64, error) {
	if inst.GetID() == 0 {
		return 0, fmt.Errorf("%w: no installation id", ErrBadPayload)
	}
	return inst.GetID(), nil
}

// eventRepo is the installation and repository an event is about.
type eventRepo struct {
	installation int64
	owner, name  string
}

// prepareEvent does what every handler does first (policy-bot's shape):
// read the installation and the repository from the payload, and put them
// into the logging context. A payload without them is [ErrBadPayload].
func prepareEvent(ctx context.Context, inst *github.Installation, owner *github.User, name, fullName string) (context.Context, zerolog.Logger, eventRepo, error) {
	id, err := installationID(inst)
	if err != nil {
		return ctx, zerolog.Logger{}, eventRepo{}, err
	}
	o, n, err := repoName(owner, name, fullName)
	if err != nil {
		return ctx, zerolog.Logger{}, eventRepo{}, err
	}
	ctx, logger := prepareRepoContext(ctx, id, o, n)
	return ctx, logger, eventRepo{id, o, n}, nil
}

// prepareRepoContext puts the installation and repository into the logger
// carried by ctx, as go-githubapp's PrepareRepoContext does, so that every
// later log line names them.
func prepareRepoContext(ctx context.Context, installation int64, owner, repo string) (context.Context, zerolog.Logger) {
	logger := zerolog.Ctx(ctx).With().
		Int64(logInstallationID, installation).
		Str(logRepoOwner, owner).
		Str(logRepoName, repo).
		Logger()
	return logger.WithContext(ctx), logger
}

// repoName returns a repository's owner and name. Push payloads describe
// the owner with both name and login; older ones only with name.
func repoName(owner *github.User, name, fullName string) (string, string, error) {
	o := owner.GetLogin()
	if o == "" {
		o = owner.GetName()
	}
	if o == "" || name == "" {
		if a, b, ok := strings.Cut(fullName, "/"); ok && a != "" && b != "" {
			return a, b, nil
		}
		return "", "", fmt.Errorf("%w: repository without owner or name", ErrBadPayload)
	}
	return o, name, nil
}

// errBadPayloadf returns an [ErrBadPayload] that says what is missing.
func errBadPayloadf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadPayload, fmt.Sprintf(format, args...))
}
