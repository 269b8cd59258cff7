// Command errconform proves that an OpenAI-compatible inference API keeps
// its published error contract. See the README for usage.
package main

import (
	"os"

	"github.com/errconform/errconform/runner"
)

func main() { os.Exit(runner.Main(os.Args[1:])) }
