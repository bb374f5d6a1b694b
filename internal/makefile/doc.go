// Package makefile answers, without running anything, what GNU make 4.x
// would answer about a Makefile read with an empty environment and no
// command-line variables: its variables, its rules and their recipes.
//
// Parsing ([ParseFile]) turns text into positioned statements and collects
// every syntax error; evaluation ([Read]) reads them as make does, with
// every side effect ($(shell ...), !=, $(file ...), load)
// disabled and every file read going through an [io/fs.FS] that the
// analysis can never leave. A value that would need a disabled feature is
// marked shell-dependent, never guessed. Work is bounded: file size
// ([MaxFileSize]), include depth and count, expansion depth and size, and a
// step budget ([Config]); a limit reached is an [Error], not a hang. The
// [Database] then answers make's questions: a variable's flavour, origin,
// value and where it was set ([Database.Assignment]), whether the
// environment would override it ([Database.EnvironmentWins]), how a target
// is made ([Database.Where]) and whether its recipes refer to a variable
// ([Database.References]). The package gives no name a meaning of its own.
//
// The evaluator is checked against GNU make 4.3 itself (TestAgainstGNUMake).
// Known differences, on purpose or not yet modelled:
//   - $(shell ...) and != are never run: their values are unknown, and a
//     conditional on them takes its "empty" branch, whose assignments are
//     marked shell-dependent; assignments in the branch not taken are not
//     seen at all.
//   - Built-in implicit rules and suffix rules (make -r semantics), vpath,
//     pattern-specific variables and secondary expansion are not modelled.
//     Files in the tree count only by existence, never by timestamp: they
//     satisfy pattern-rule prerequisites, and one named like a target with
//     no rule prerequisites and no .PHONY makes that target up to date
//     ([Database.UpToDateFile]).
//   - A .RECIPEPREFIX set through a variable reference, or in an included
//     file, does not change how the including file's later lines parse.
//   - A tab-indented "ifeq"/"else"/"endif"/"define" line right after a
//     rule line that sits in a conditional branch not taken: make reads it
//     as a directive, the parser as a recipe line.
//   - :::= follows GNU make 4.4 (make 4.3 rejects it).
//   - $(CURDIR), $(abspath ...) and $(realpath ...) are shell-dependent
//     unless [Config.Dir] names the working directory.
//   - make stops at the first fatal error; the analysis records it and,
//     except after a self-referencing variable or a runaway expansion,
//     reads on, so that a lint run shows every problem.
package makefile
