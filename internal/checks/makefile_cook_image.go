package checks

func makefileCookImageRule() *Rule {
	return targetRule("makefile.cook-image", TargetCookImage, SeverityWarning, "should",
		"`make cook-image` builds the service's Docker image tagged $(DOCKER_TAG) without testing it, which is how "+
			"developers and tools build the image alone",
		"runs `docker build -t $(DOCKER_TAG) .`")
}
