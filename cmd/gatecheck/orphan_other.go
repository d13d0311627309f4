//go:build !linux

package main

import "os/exec"

// setOrphanSignal: only Linux can tie a child's life to its parent's.
func setOrphanSignal(*exec.Cmd) {}
