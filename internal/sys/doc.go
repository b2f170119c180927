// Package sys wraps the few Linux system calls that golang.org/x/sys/unix
// lacks (futex, POSIX and System V message queues, System V semaphores,
// rt_sigqueueinfo and rt_tgsigqueueinfo) as raw unix.Syscall calls, one
// file per family. Every wrapper returns the errno as a unix.Errno, so that
// callers can test it with errors.Is. The transports, the signal plumbing
// (package sig), the reference floors and the sweep of leftovers use them.
package sys
