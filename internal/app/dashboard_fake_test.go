package app

import (
	"context"

	ghclient "github.com/contractbot/contractbot/internal/github"
)

// The dashboard's calls, which the check job's tests do not fake.

func (onlyChecks) Issues(context.Context, string, string, string) ([]ghclient.Issue, error) {
	return nil, errNotFaked
}
func (onlyChecks) CreateIssue(context.Context, string, string, string, string, func(context.Context) (int, error)) (int, error) {
	return 0, errNotFaked
}
func (onlyChecks) UpdateIssueBody(context.Context, string, string, int, string) error {
	return errNotFaked
}
