package main

import (
	"os/exec"
	"syscall"
)

// setOrphanSignal makes the kernel kill cmd if gatecheck dies first, so
// no server outlives a killed run.
func setOrphanSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
