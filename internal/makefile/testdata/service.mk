# Makefile for web-api: a typical PaaSTA service.
#
# make test       unit tests
# make itest      build the image tagged $(DOCKER_TAG) and run system tests
# make cook-image build the image only

SERVICE        := web-api
DOCKER_TAG     ?= $(SERVICE)-$(USER)-dev
DOCKER_REGISTRY ?= docker-registry.example.com
IMAGE          = $(DOCKER_REGISTRY)/services/$(SERVICE):$(DOCKER_TAG)
export DOCKER_TAG

PYTHON         ?= python3
VENV           := .venv
VENV_BIN       := $(VENV)/bin
PIP            := $(VENV_BIN)/pip
PYTEST         := $(VENV_BIN)/pytest
SRC_DIRS       := web_api tests
REQUIREMENTS   := requirements.txt requirements-dev.txt
ITEST_COMPOSE  := itest/docker-compose.yml
COMPOSE        := docker-compose -f $(ITEST_COMPOSE) -p $(subst -,,$(SERVICE))$(USER)
GIT_SHA        ?= unknown
BUILD_ARGS     := --build-arg GIT_SHA=$(GIT_SHA)

ifeq ($(CI),true)
  PYTEST_FLAGS := --junitxml=reports/junit.xml -q
  DOCKER_BUILD_FLAGS := --pull --no-cache
else
  PYTEST_FLAGS := -q
  DOCKER_BUILD_FLAGS :=
endif

ifdef VERBOSE
  Q :=
else
  Q := @
endif

# Source files, for the venv stamp.
PY_FILES := $(wildcard web_api/*.py) $(wildcard tests/*.py)
STAMPS   := $(addprefix $(VENV)/,.deps-installed .dev-installed)

.DEFAULT_GOAL := help
.PHONY: help test itest cook-image clean venv lint fmt run push

help:
	@echo "make test        run the unit tests"
	@echo "make itest       build $(IMAGE) and run the system tests"
	@echo "make cook-image  build $(IMAGE)"

$(VENV)/.deps-installed: $(REQUIREMENTS)
	$(Q)$(PYTHON) -m venv $(VENV)
	$(Q)$(PIP) install -q -r requirements.txt
	$(Q)touch $@

$(VENV)/.dev-installed: $(VENV)/.deps-installed requirements-dev.txt
	$(Q)$(PIP) install -q -r requirements-dev.txt
	$(Q)touch $@

venv: $(STAMPS)

test: venv
	$(Q)$(PYTEST) $(PYTEST_FLAGS) tests/unit

lint: venv
	$(Q)$(VENV_BIN)/flake8 $(SRC_DIRS)
	$(Q)$(VENV_BIN)/mypy web_api

fmt: venv
	$(Q)$(VENV_BIN)/black $(SRC_DIRS)

cook-image:
	$(Q)docker build $(DOCKER_BUILD_FLAGS) $(BUILD_ARGS) -t $(IMAGE) .

itest: cook-image
	$(Q)$(COMPOSE) up -d
	$(Q)DOCKER_TAG=$(DOCKER_TAG) $(PYTEST) $(PYTEST_FLAGS) tests/system || \
		($(COMPOSE) logs; $(COMPOSE) down; exit 1)
	$(Q)$(COMPOSE) down

run: cook-image
	docker run --rm -p 8888:8888 $(IMAGE)

push: cook-image
	docker push $(IMAGE)

%.pyc: %.py
	$(Q)$(PYTHON) -m py_compile $<

clean:
	rm -rf $(VENV) reports .pytest_cache
	find . -name '*.pyc' -delete
	-$(COMPOSE) down --rmi local

define HELP_TEXT
Targets:
  test, itest, cook-image, lint, fmt, run, push, clean
endef
export HELP_TEXT

version:
	@echo $(SERVICE) $(GIT_SHA) $(DOCKER_TAG)
