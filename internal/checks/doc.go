// Package checks runs the PaaSTA contract rules over a service repository and
// its yelpsoa-configs, and produces positioned findings.
//
// Rules are pure functions of their inputs: they read files only through the
// [Pass] (an [io/fs.FS] over a checkout, a GitHub tree or git objects) and
// never execute anything from the repository. The same rule set therefore
// runs unchanged under the CLI, the GitHub App and the pre-receive hook.
package checks
