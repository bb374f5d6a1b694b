package gitref_test

import (
	"fmt"
	"time"

	"github.com/contractbot/contractbot/internal/gitref"
)

func ExampleParse() {
	r, err := gitref.Parse("refs/tags/paasta-prod.main+v2-20260102T030405-deploy")
	fmt.Println(r.Kind, r.DeployGroup, r.ImageVersion, r.Time.Format(time.RFC3339), r.State, err)
	fmt.Println(r.Image("web", "0123456789abcdef0123456789abcdef01234567"))

	_, err = gitref.Parse("refs/tags/paasta-prod.main-20261301T000000-deploy")
	fmt.Println(err)
	// Output:
	// deploy tag prod.main v2 2026-01-02T03:04:05Z deploy <nil>
	// services-web paasta-0123456789abcdef0123456789abcdef01234567-v2
	// refs/tags/paasta-prod.main-20261301T000000-deploy: column 32: bad timestamp "20261301T000000": there is no month 13; want refs/tags/paasta-<deploy_group>[+<version>]-<YYYYmmddTHHMMSS>-deploy
}

func ExampleRef_String() {
	r := gitref.Ref{Kind: gitref.ControlTag, DeployGroup: "norcal.main", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), State: gitref.StateStop}
	fmt.Println(r)
	// Output: refs/tags/paasta-norcal.main-20260102T030405-stop
}
