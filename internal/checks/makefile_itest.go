package checks

func makefileItestRule() *Rule {
	return targetRule("makefile.itest", TargetItest, SeverityError, "must",
		"`make itest` builds the service's Docker image tagged $(DOCKER_TAG) and runs the system tests against it; "+
			"the pipeline promotes exactly that image",
		"builds the image tagged $(DOCKER_TAG) (usually by depending on cook-image) and runs the system tests")
}
