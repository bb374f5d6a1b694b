package checks_test

// oracleExcused are the oracle trees (and "tree check_function" pairs)
// whose verdict contractbot does not reproduce yet, each with the reason.
// The list may only shrink; a tree that comes to agree must leave it
// (TestTheOracleExcusesOnlyDisagreements).
var oracleExcused = map[string]string{
	"M616": "the oracle's copy of this tree turned the symbolic link kubernetes-norcal-stage.yaml into a file holding its target's name, which contractbot rightly rejects; PaaSTA ran on the link",

	// paasta check's makefile_has_docker_tag only searches the text for
	// `DOCKER_TAG\s*\?=`, so a commented-out line or an empty default
	// passes; makefile.docker-tag asks for a default make actually sets
	// and that is not empty (the contract's MUST, docker build -t fails
	// on an empty tag).
	"M630 makefile_check":    "DOCKER_TAG ?= with an empty value: paasta check's regexp passes it, docker build -t $(DOCKER_TAG) fails",
	"M610 deployments_check": "no .yaml at the top level (soa.service-dir's error): deployments_check finds neither instances nor steps there and passes; contractbot reports the top-level deploy.yaml missing",
	"M610 sensu_check":       "no .yaml at the top level (soa.service-dir's error): sensu_check finds configs/monitoring.yaml recursively but reads the team from the top level and fails; contractbot has no separate finding for that",
	"M632 makefile_check":    "DOCKER_TAG ?= only in a comment: paasta check's regexp passes it, make never sets DOCKER_TAG",
}
