//go:build !unix

package devrun

// surviveClosedOutput: there is no SIGPIPE outside unix.
func surviveClosedOutput() (restore func()) { return func() {} }
