package checks

func makefileTestRule() *Rule {
	return targetRule("makefile.test", TargetTest, SeverityError, "must",
		"`make test` runs the service's unit tests in Jenkins before anything is built or deployed",
		"runs the unit tests")
}
