package failure

// exitCodes is the one table of the exit codes the paved CLI documents
// (README, VERSIONING.md) for each kind; the run record stores the same
// number, so that a record says what the process exited with.
var exitCodes = map[Kind]int{
	OK:        0,
	Internal:  1,
	BadInput:  2,
	Policy:    3,
	Transient: 4,
}

// ExitCode returns the documented exit code of kind k: 0 ok, 1 internal,
// 2 bad input, 3 policy violation, 4 transient. A kind outside the table is
// a bug, so it exits 1 like Internal.
func ExitCode(k Kind) int {
	if c, ok := exitCodes[k]; ok {
		return c
	}
	return exitCodes[Internal]
}
