// Command errconform proves that an OpenAI-compatible inference API keeps
// its published error contract. See the README for usage.
package main

// The generated docs: docs/cli.md, and per built-in contract its cases and
// rules (docs/<contract>/cases.md, docs/<contract>/rules.md).
//go:generate go run . docs --dir ../../docs

import (
	"os"

	"github.com/errconform/errconform/runner"
)

func main() { os.Exit(runner.Main(os.Args[1:])) }
