// hello: a Go binary (strip-spec case 9): static ET_EXEC whose .shstrtab and
// section header table lie inside a PT_LOAD.
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	fmt.Println("hello from go", strings.Repeat("=", 3), len(os.Args))
}
