// Package ipcbench is the root of the ipcbench module: a benchmark suite for
// Linux inter-process communication from Go, without cgo.
//
// The benchmarks live in this package's test file so that
// `go test -bench=. ./...` and `go test -bench ./...` at the repository
// root run the suite once; their bodies are in package bench, the
// mechanisms in package transports, process handling and timing in
// package harness, reports in package reports. See README.md.
package ipcbench
