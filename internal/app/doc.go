// Package app is the contractbot GitHub App: it turns webhook deliveries
// into check runs that say where a service breaks the PaaSTA contract.
//
// Data flows one way. The webhook intake (package webhook) stores each
// delivery durably and acknowledges it; the processor hands it to
// [Handler], which routes it by event to one handler per event (push.go,
// pull_request.go, check_suite.go, check_run.go, installation.go, ping.go,
// in the shape of policy-bot's server/handler). A handler decides what to
// check and enqueues a "check" task; the check job (check.go) reads the
// commit's tree and the trusted configuration through the GitHub API, runs
// the [checks.Engine] and publishes one check run.
package app
