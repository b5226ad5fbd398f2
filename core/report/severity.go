package report

import (
	"fmt"
	"strings"
)

// Severity ranks findings. The zero value is SeverityInfo.
type Severity int

// Severities, in increasing order.
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

// SeverityNames lists the valid severity names, lowest first.
func SeverityNames() []string { return append([]string(nil), severityNames...) }

// ParseSeverity parses a severity name, case-insensitively.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.Join(severityNames, ", "))
}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Enforcement says whether a policy can fail a CI gate.
type Enforcement string

// Enforcement levels. Advisory findings are reported but never fail the gate.
const (
	Advisory  Enforcement = "advisory"
	Mandatory Enforcement = "mandatory"
)

// ParseEnforcement parses an enforcement level.
func ParseEnforcement(s string) (Enforcement, error) {
	switch e := Enforcement(strings.ToLower(s)); e {
	case Advisory, Mandatory:
		return e, nil
	}
	return "", fmt.Errorf("unknown enforcement %q (want advisory or mandatory)", s)
}
