// Package wait holds the wait strategies of the shared-memory transports:
// how a side that finds the ring empty (or full) waits for the other
// process, and how the other process wakes it. Each strategy is written
// once and used by every backing (memfd, file mmap, System V segment)
// through package ring.
//
// # Events
//
// A channel has a fixed number of events, each one condition that one
// side waits for and the other side signals: "ring A has data", "ring A
// has space", and the same for ring B. Every event owns a Slot: one cache
// line of the shared mapping, zeroed by the creator, where a strategy
// keeps its shared words (futex word, sleeping flag, semaphore, waiter's
// thread id). A Strategy turns the slots into a Set of Events on each
// side; the side that waits calls Event.Wait with a Cond, the side that
// changed the state calls Event.Notify after publishing the change, and
// Event.Wake wakes a waiter unconditionally (Interrupt, Close).
//
// # The sleeping flag
//
// Strategies that block in the kernel (futex, hybrid, eventfd, signal,
// and the space events of sem and sysvsem) share one protocol, so that the
// notifying side makes no system call while nobody sleeps:
//
//	waiter:   s = seq; sleeping = 1; if cond { sleeping = 0; done }; block(s)
//	notifier: publish state; if sleeping != 0 && swap(sleeping, 0) == 1 { seq++; wake }
//
// Both stores (the flag, the published state) must be sequentially
// consistent, so that neither side's following load passes its store;
// then either the waiter's re-check sees the published state or the
// notifier sees the flag. They are swaps: Go's atomic stores are too in
// a normal build (XCHG on amd64), but not under the race detector on
// memory outside the Go heap, where they are plain release stores; a wake between
// the waiter's re-check and its block is not lost because FUTEX_WAIT
// compares seq, and eventfd, semaphores and queued real-time signals keep
// the wake pending. The waiter reads seq before it raises the flag: a late
// notifier of an earlier message may swap the new flag down, and its seq++
// must then fall after the waiter's read, or the waiter would sleep on the
// bumped seq while the next notifier, finding the flag down, wakes nobody.
// Spurious wake-ups are harmless: Wait loops on Cond.
//
// # Counting strategies
//
// sem and sysvsem model the way the article's readers use semaphores with
// shared memory: on a Slot marked PerMessage (data available) the sender
// posts once per message and the receiver waits once per message, whether
// or not anyone sleeps. glibc's sem_post skips the futex wake when no
// waiter is registered, and so does sem here; semop always enters the
// kernel.
//
// # Strategies
//
//	spin     bounded, adaptive spin with PAUSE, then sched_yield in a loop; never sleeps
//	futex    FUTEX_WAIT/FUTEX_WAKE (shared, not private) on the slot's seq word
//	hybrid   adaptive spin (up to HybridSpin, past a futex wake-up's cost), then futex
//	sem      a futex-based counting semaphore in the slot (sem_post/sem_wait)
//	sysvsem  one System V semaphore per event (semget IPC_PRIVATE, semop)
//	eventfd  one eventfd per event, passed to the peer as a file
//	signal   a real-time signal (sig.Wake) queued to the sleeping thread
//
// Spinning adapts: a spin that ended in success restores the full budget,
// one that failed halves it, and at the minimum a wait now and then probes
// with a full spin: every 32nd at first, half as often after each failed
// probe (down to every 4096th), every 32nd again after a success. When
// both processes share a CPU no spin can succeed (the peer cannot run), so
// the budget falls to its minimum within a few waits, the probes grow rare,
// and the spin strategy degenerates to sched_yield, which hands the CPU to
// the peer, instead of burning its time slice. The first 64 polls of a
// spin are back to back, later ones separated by PAUSE. (Package ring's
// Recv makes its own first looks before a polling strategy's Wait.)
//
// # Waiting on many
//
// Any is one waiter over the events of many channels (a fan-in server, one
// ring per client): spin polls every condition in turn; futex raises every
// event's sleeping flag, re-checks, and sleeps on all their seq words at
// once with futex_waitv; hybrid spins over all, then sleeps so. The
// notifying sides are unchanged: a Notify's FUTEX_WAKE on its word wakes
// a futex_waitv that includes it.
package wait
