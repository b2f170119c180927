// ref.c: minimal C implementations of a few of ipcbench's cases, written
// without ipcbench's harness, transport interface or ring, to check that
// ipcbench's figures agree with what plain C measures on the same machine
// (scripts/crosscheck.sh runs both, interleaved, and compares them).
//
// Each run is one 64-byte ping-pong (or a bare cache-line bounce) between
// two processes (fork), pinned like ipcbench's pin=split (parent on CPU 0,
// child on CPU 1) or pin=same (both on CPU 1). It prints one line in Go's
// benchmark format under the name of the ipcbench case it mirrors, so that
// `ipcbench compare` can set the two side by side:
//
//	cacheline  Floor/op=cacheline/size=64: one shared word bounced with
//	           plain stores and loads; spin, then sched_yield
//	futex      Floor/op=futex/size=0: FUTEX_WAIT/FUTEX_WAKE on a shared word
//	pipe       PingPong/transport=pipe/api=raw: two pipes, write + read
//	unix       PingPong/transport=unix-stream/api=raw: a socketpair
//	ring       PingPong/transport=shm-spin/api=raw: a shared ring of
//	           records (8-byte header word, then the payload), the
//	           receiver polls the header, copies the payload out and
//	           checks the sequence number; spin, then sched_yield
//	ringstream Floor/op=ring/size=65536: a stream (ns/op is one message,
//	           MB/s its bytes), the single-producer single-consumer ring
//	           of internal/reference: 1 MiB of 64 KiB slots, a producer
//	           and a consumer index on cache lines of their own, each side
//	           caching the other's; memcpy in (a message of real bytes,
//	           not a zero buffer: see main), memcpy out; spin, then
//	           sched_yield
//	zcstream   Stream/transport=shm-hybrid/api=zerocopy/size=1048576: the
//	           same ring with three 1 MiB slots (the depth of ipcbench's
//	           rings); the producer copies the pattern into the slot and
//	           stamps it, the consumer checks the stamp and compares every
//	           other byte with its own copy of the pattern, in place
//	cpstream   Stream/transport=shm-hybrid/api=raw/size=1048576: as
//	           zcstream, but the consumer copies the message out 4 KiB at
//	           a time and compares each piece as soon as it is copied (the
//	           copying path's one pass, as ipcbench's receivers do it)
//	           The consumer makes its pattern after the fork, in memory of
//	           its own, as ipcbench's peer (another process) does: a
//	           pattern shared with the producer through fork is one copy
//	           for both caches and was measured faster (zcstream ~1.2x).
//
// usage: ref MODE split|same MILLISECONDS
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { SIZE = 64, SPINS = 2048, RING = 32 << 10, SSIZE = 64 << 10, SSLOTS = (1 << 20) / SSIZE, BIG = 1 << 20, BIGSLOTS = 3, PIECE = 4 << 10 };

static const char *mode;

static void die(const char *what) {
	perror(what);
	exit(1);
}

static void pin(int cpu) {
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof s, &s) != 0)
		die("sched_setaffinity");
}

static double now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

// wait_word spins until *w == want, yielding the CPU after SPINS polls
// (so that pin=same does not spin away its time slice).
static void wait_word(volatile uint32_t *w, uint32_t want) {
	for (int i = 0; __atomic_load_n(w, __ATOMIC_ACQUIRE) != want; i++)
		if (i >= SPINS)
			sched_yield();
}

static long futex(volatile uint32_t *w, int op, uint32_t v) {
	return syscall(SYS_futex, w, op, v, NULL, NULL, 0);
}

static void futex_wait_for(volatile uint32_t *w, uint32_t want) {
	uint32_t v;
	while ((v = __atomic_load_n(w, __ATOMIC_ACQUIRE)) != want)
		futex(w, FUTEX_WAIT, v);
}

// A ring side: records of an 8-byte header word (1<<32 | length, 0 =
// nothing yet) and the payload, 8-byte aligned; the next header is zeroed
// before the current one is published; back to 0 before the end.
struct ring {
	char *base;
	size_t off;
};

static size_t rec_len(size_t n) { return (8 + n + 7) & ~(size_t)7; }

static size_t next_off(size_t off, size_t rec) {
	size_t nxt = off + rec;
	return nxt + rec + 8 > RING ? 0 : nxt;
}

static void ring_send(struct ring *r, const char *msg, size_t n) {
	size_t nxt = next_off(r->off, rec_len(n));
	*(volatile uint64_t *)(r->base + nxt) = 0;
	memcpy(r->base + r->off + 8, msg, n);
	__atomic_store_n((uint64_t *)(r->base + r->off), (1ull << 32) | n, __ATOMIC_RELEASE);
	r->off = nxt;
}

static size_t ring_recv(struct ring *r, char *buf) {
	uint64_t h;
	for (int i = 0; (h = __atomic_load_n((uint64_t *)(r->base + r->off), __ATOMIC_ACQUIRE)) == 0; i++)
		if (i >= SPINS)
			sched_yield();
	size_t n = (uint32_t)h;
	memcpy(buf, r->base + r->off + 8, n);
	r->off = next_off(r->off, rec_len(n));
	return n;
}

// The stream ring: head (messages produced) and tail (consumed) on cache
// lines of their own, nslots slots of size bytes after them.
struct sring {
	uint64_t *head, *tail;
	char *slots;
	size_t size, nslots;
	uint64_t own, other; // this side's index, the other's as last read
};

static char *slot(struct sring *r) { return r->slots + (r->own % r->nslots) * r->size; }

// sring_send copies msg (size bytes) into the next slot and stamps it
// with the message number.
static void sring_send(struct sring *r, const char *msg) {
	for (int i = 0; r->own - r->other >= r->nslots; i++) {
		r->other = __atomic_load_n(r->tail, __ATOMIC_ACQUIRE);
		if (i >= SPINS)
			sched_yield();
	}
	memcpy(slot(r), msg, r->size);
	memcpy(slot(r), &r->own, sizeof r->own);
	__atomic_store_n(r->head, ++r->own, __ATOMIC_RELEASE);
}

static void sring_drain(struct sring *r) {
	for (int i = 0; (r->other = __atomic_load_n(r->tail, __ATOMIC_ACQUIRE)) != r->own; i++)
		if (i >= SPINS)
			sched_yield();
}

// pattern fills p with the stream's message bytes.
static void pattern(char *p, size_t n) {
	for (size_t k = 0; k < n; k++)
		p[k] = (char)(k * 7 + (k >> 9));
}

enum check { COPY_STAMP, IN_PLACE, COPY_PIECES };

// sring_serve is the child of the stream modes: consume forever (the
// parent kills it), checking each message's number and, for IN_PLACE and
// COPY_PIECES, every other byte against the pattern.
static void sring_serve(struct sring *r, enum check how) {
	char *buf = malloc(r->size), *pat = malloc(r->size);
	if (!buf || !pat)
		die("malloc");
	pattern(pat, r->size);
	for (;;) {
		for (int i = 0; r->other == r->own; i++) {
			r->other = __atomic_load_n(r->head, __ATOMIC_ACQUIRE);
			if (i >= SPINS)
				sched_yield();
		}
		const char *m = slot(r);
		int bad = 0;
		switch (how) {
		case COPY_STAMP:
			memcpy(buf, m, r->size);
			bad = memcmp(buf, &r->own, sizeof r->own) != 0;
			break;
		case IN_PLACE:
			bad = memcmp(m, &r->own, sizeof r->own) != 0 || memcmp(m + 8, pat + 8, r->size - 8) != 0;
			break;
		case COPY_PIECES:
			for (size_t o = 0; o < r->size; o += PIECE) {
				memcpy(buf + o, m + o, PIECE);
				size_t lo = o ? o : 8;
				bad |= memcmp(buf + lo, pat + lo, o + PIECE - lo) != 0;
			}
			bad |= memcmp(buf, &r->own, sizeof r->own) != 0;
			break;
		}
		if (bad) {
			fprintf(stderr, "ref: %s: message %llu arrived wrong\n", mode, (unsigned long long)r->own);
			exit(1);
		}
		__atomic_store_n(r->tail, ++r->own, __ATOMIC_RELEASE);
	}
}

struct chan {
	volatile uint32_t *ping, *pong; // cacheline, futex (same cache line)
	int p2c[2], c2p[2];             // pipe; unix: p2c[0] parent, p2c[1] child
	struct ring out[2], in[2];      // ring: [0] parent side, [1] child side
	struct sring prod, cons;        // ringstream
};


// serve is the child: echo forever (the parent kills it).
static void serve(struct chan *c) {
	char buf[SIZE];
	for (uint32_t i = 1;; i++) {
		if (!strcmp(mode, "cacheline")) {
			wait_word(c->ping, i);
			__atomic_store_n(c->pong, i, __ATOMIC_RELEASE);
		} else if (!strcmp(mode, "futex")) {
			futex_wait_for(c->ping, i);
			__atomic_store_n(c->pong, i, __ATOMIC_SEQ_CST);
			futex(c->pong, FUTEX_WAKE, 1);
		} else if (!strcmp(mode, "pipe")) {
			if (read(c->p2c[0], buf, SIZE) != SIZE || write(c->c2p[1], buf, SIZE) != SIZE)
				die("child pipe");
		} else if (!strcmp(mode, "unix")) {
			if (recv(c->p2c[1], buf, SIZE, MSG_WAITALL) != SIZE || send(c->p2c[1], buf, SIZE, 0) != SIZE)
				die("child unix");
		} else {
			size_t n = ring_recv(&c->in[1], buf);
			ring_send(&c->out[1], buf, n);
		}
	}
}

// round_trip is one parent round trip, message number i (from 1).
static void round_trip(struct chan *c, uint32_t i, char *msg, char *buf) {
	if (!strcmp(mode, "cacheline")) {
		__atomic_store_n(c->ping, i, __ATOMIC_RELEASE);
		wait_word(c->pong, i);
		return;
	}
	if (!strcmp(mode, "futex")) {
		__atomic_store_n(c->ping, i, __ATOMIC_SEQ_CST);
		futex(c->ping, FUTEX_WAKE, 1);
		futex_wait_for(c->pong, i);
		return;
	}
	memcpy(msg, &i, sizeof i);
	if (!strcmp(mode, "pipe")) {
		if (write(c->p2c[1], msg, SIZE) != SIZE || read(c->c2p[0], buf, SIZE) != SIZE)
			die("parent pipe");
	} else if (!strcmp(mode, "unix")) {
		if (send(c->p2c[0], msg, SIZE, 0) != SIZE || recv(c->p2c[0], buf, SIZE, MSG_WAITALL) != SIZE)
			die("parent unix");
	} else if (ring_recv((ring_send(&c->out[0], msg, SIZE), &c->in[0]), buf) != SIZE) {
		die("parent ring: short message");
	}
	if (memcmp(buf, &i, sizeof i) != 0) {
		fprintf(stderr, "ref: %s: message %u came back wrong\n", mode, i);
		exit(1);
	}
}

int main(int argc, char **argv) {
	if (argc != 4 || (strcmp(argv[2], "split") && strcmp(argv[2], "same"))) {
		fprintf(stderr, "usage: ref cacheline|futex|pipe|unix|ring|ringstream|zcstream|cpstream split|same MILLISECONDS\n");
		return 2;
	}
	mode = argv[1];
	int split = !strcmp(argv[2], "split");
	double budget = atof(argv[3]) * 1e6;
	const char *name;
	if (!strcmp(mode, "cacheline"))
		name = "Floor/op=cacheline/pin=%s/size=64";
	else if (!strcmp(mode, "futex"))
		name = "Floor/op=futex/pin=%s/size=0";
	else if (!strcmp(mode, "pipe"))
		name = "PingPong/transport=pipe/api=raw/pin=%s/size=64";
	else if (!strcmp(mode, "unix"))
		name = "PingPong/transport=unix-stream/api=raw/pin=%s/size=64";
	else if (!strcmp(mode, "ring"))
		name = "PingPong/transport=shm-spin/api=raw/pin=%s/size=64";
	else if (!strcmp(mode, "ringstream"))
		name = "Floor/op=ring/pin=%s/size=65536";
	else if (!strcmp(mode, "zcstream"))
		name = "Stream/transport=shm-hybrid/api=zerocopy/pin=%s/size=1048576";
	else if (!strcmp(mode, "cpstream"))
		name = "Stream/transport=shm-hybrid/api=raw/pin=%s/size=1048576";
	else {
		fprintf(stderr, "ref: unknown mode %s\n", mode);
		return 2;
	}

	struct chan c = {0};
	int stream = !strcmp(mode, "ringstream") || !strcmp(mode, "zcstream") || !strcmp(mode, "cpstream");
	int big = stream && strcmp(mode, "ringstream");
	enum check how = !big ? COPY_STAMP : !strcmp(mode, "zcstream") ? IN_PLACE : COPY_PIECES;
	size_t ssize = big ? BIG : SSIZE, nslots = big ? BIGSLOTS : SSLOTS;
	char *mem = mmap(NULL, 4096 + 2 * RING + ssize * nslots, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	c.prod.head = c.cons.head = (uint64_t *)(mem + 256);
	c.prod.tail = c.cons.tail = (uint64_t *)(mem + 320);
	c.prod.slots = c.cons.slots = mem + 4096 + 2 * RING;
	c.prod.size = c.cons.size = ssize;
	c.prod.nslots = c.cons.nslots = nslots;
	c.ping = (volatile uint32_t *)mem;
	c.pong = c.ping + 1;
	c.out[0].base = c.in[1].base = mem + 4096;
	c.out[1].base = c.in[0].base = mem + 4096 + RING;
	if (!strcmp(mode, "pipe") && (pipe(c.p2c) || pipe(c.c2p)))
		die("pipe");
	if (!strcmp(mode, "unix") && socketpair(AF_UNIX, SOCK_STREAM, 0, c.p2c))
		die("socketpair");

	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); // nothing left behind if the parent dies
		pin(1);
		if (stream)
			sring_serve(&c.cons, how);
		serve(&c);
	}
	pin(split ? 0 : 1);
	char msg[SIZE] = {0}, buf[SIZE];
	uint32_t i = 1;
	// Warm up for a tenth of the budget, then grow the iteration count
	// until one timed batch takes the budget.
	// The stream's message is real bytes, as ipcbench's pattern: a
	// buffer left zero would be mappings of the kernel's one zero page,
	// a 4 KiB source always in cache.
	char *smsg = malloc(ssize);
	if (!smsg)
		die("malloc");
	pattern(smsg, ssize);
	for (double t0 = now_ns(); now_ns() - t0 < budget / 10; i++)
		if (stream)
			sring_send(&c.prod, smsg);
		else
			round_trip(&c, i, msg, buf);
	long n = 100;
	double ns;
	for (;;) {
		double t0 = now_ns();
		for (long k = 0; k < n; k++, i++)
			if (stream)
				sring_send(&c.prod, smsg);
			else
				round_trip(&c, i, msg, buf);
		if (stream)
			sring_drain(&c.prod);
		ns = now_ns() - t0;
		if (ns >= budget || n >= 1L << 30)
			break;
		n = ns > 0 ? (long)(n * 1.2 * budget / ns) + 1 : n * 100;
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	char full[128];
	snprintf(full, sizeof full, name, argv[2]);
	if (stream)
		printf("Benchmark%s-%ld\t%ld\t%.1f ns/op\t%.2f MB/s\n", full, sysconf(_SC_NPROCESSORS_ONLN), n, ns / n, ssize * 1e3 / (ns / n));
	else
		printf("Benchmark%s-%ld\t%ld\t%.1f ns/op\n", full, sysconf(_SC_NPROCESSORS_ONLN), n, ns / n);
	return 0;
}
