package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestRunUsageErrors checks that run rejects, with exit status 2 and
// before measuring anything, flags that name nothing to run.
func TestRunUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-match", "no-such-case"}, "no benchmark matches"},
		{[]string{"-groups", "NoSuchGroup"}, `unknown group "NoSuchGroup"`},
		{[]string{"-profile", "no-such-profile"}, `unknown profile "no-such-profile"`},
		{[]string{"-count", "-1"}, "must not be negative"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-paths", "wormhole"}, `unknown path "wormhole"`},
		{[]string{"-paths", "lo"}, "loopback is always measured"},
		{[]string{"-paths", "remote"}, "-paths remote needs -remote and -token"},
		{[]string{"-remote", "192.0.2.1:7071"}, "-remote and -token go together"},
		{[]string{"-token", "0123456789abcdef"}, "-remote and -token go together"},
		{[]string{"-netem", "-1ms"}, "must not be negative"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(&stdout, &stderr, append([]string{"run"}, tc.args...)); code != 2 {
			t.Errorf("run %v: exit status %d, want 2 (stderr %q)", tc.args, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("run %v: stderr %q, want it to say %q", tc.args, stderr.String(), tc.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("run %v wrote results: %q", tc.args, stdout.String())
		}
	}
}
