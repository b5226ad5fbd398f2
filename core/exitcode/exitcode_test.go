package exitcode

import (
	"errors"
	"fmt"
	"testing"
)

// diagErr stands for a package's own error type that knows its code.
type diagErr struct{ code int }

func (d diagErr) Error() string { return "diagnostics" }
func (d diagErr) ExitCode() int { return d.code }

func TestOf(t *testing.T) {
	plain := errors.New("boom")
	tests := []struct {
		name     string
		err      error
		want     int
		reported bool
	}{
		{"nil", nil, Clean, false},
		{"plain error takes the fallback", plain, 9, false},
		{"usage", UsageError(plain), Usage, false},
		{"scan", ScanError(plain), ScanFailed, false},
		{"wrapped usage", fmt.Errorf("load: %w", UsageError(plain)), Usage, false},
		{"silent", Silent(Violations), Violations, true},
		{"own type", fmt.Errorf("x: %w", diagErr{ScanFailed}), ScanFailed, false},
		{"outermost code wins", &Error{Code: Usage, Err: ScanError(plain)}, Usage, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.err, 9); got != tt.want {
				t.Errorf("Of = %d, want %d", got, tt.want)
			}
			if got := Reported(tt.err); got != tt.reported {
				t.Errorf("Reported = %v, want %v", got, tt.reported)
			}
		})
	}
	if got := UsageError(plain).Error(); got != "boom" {
		t.Errorf("message %q, want the wrapped error's", got)
	}
	if got := Silent(3).Error(); got != "exit 3" {
		t.Errorf("silent message %q", got)
	}
}
