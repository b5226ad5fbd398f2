package sshd

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

var (
	propSeed  = flag.Uint64("sshd.seed", 1, "seed of TestOracleRandom's generator")
	propCount = flag.Int("sshd.count", 40, "configurations TestOracleRandom generates")
)

// randomValues are valid values for the keywords the generator uses.
var randomValues = map[string][]string{
	"PermitRootLogin":          {"yes", "no", "prohibit-password", "without-password", "forced-commands-only"},
	"PasswordAuthentication":   {"yes", "no"},
	"PermitEmptyPasswords":     {"yes", "no"},
	"X11Forwarding":            {"yes", "no"},
	"AllowTcpForwarding":       {"yes", "no", "local", "remote", "all"},
	"MaxAuthTries":             {"1", "3", "6", "10"},
	"MaxSessions":              {"0", "2", "10"},
	"ClientAliveInterval":      {"0", "15", "5m", "1h30m"},
	"ClientAliveCountMax":      {"0", "3", "7"},
	"LoginGraceTime":           {"0", "60", "2m"},
	"LogLevel":                 {"QUIET", "INFO", "verbose", "DEBUG1"},
	"Banner":                   {"none", "/etc/issue.net", "\"/etc/issue net\""},
	"AcceptEnv":                {"LANG", "LC_* TZ", "XMODIFIERS"},
	"AllowUsers":               {"root", "alice bob", "*@10.0.0.0/8"},
	"DenyGroups":               {"nogroup", "users"},
	"Ciphers":                  {"+aes128-cbc", "-aes*", "^aes256-ctr", "aes256-gcm@openssh.com,chacha20-poly1305@openssh.com"},
	"MACs":                     {"-*sha1*", "hmac-sha2-512,hmac-sha2-256"},
	"KexAlgorithms":            {"-diffie-hellman*", "+diffie-hellman-group14-sha1", "curve25519-sha256"},
	"PubkeyAcceptedAlgorithms": {"+ssh-rsa", "-ssh-rsa*", "ssh-ed25519*"},
	"HostbasedAuthentication":  {"yes", "no"},
	"IgnoreRhosts":             {"yes", "no", "shosts-only"},
	"MaxStartups":              {"10:30:60", "5", "3:50:10"},
	"Port":                     {"22", "2222"},
	"DisableForwarding":        {"yes", "no"},
	"AuthenticationMethods":    {"publickey", "publickey,password publickey"},
	"ForceCommand":             {"none", "/bin/true -x"},
	"IPQoS":                    {"af21 cs1", "lowdelay", "0x10"},
	"RekeyLimit":               {"1G", "default none", "64K 1h"},
	"PermitTunnel":             {"yes", "no", "ethernet"},
	"UseDNS":                   {"yes", "no"},
}

// matchOnly are the keywords the generator may put inside Match blocks.
var matchOK = map[string]bool{
	"PermitRootLogin": true, "PasswordAuthentication": true, "PermitEmptyPasswords": true, "X11Forwarding": true,
	"AllowTcpForwarding": true, "MaxAuthTries": true, "MaxSessions": true, "ClientAliveInterval": true,
	"ClientAliveCountMax": true, "LogLevel": true, "Banner": true, "AcceptEnv": true, "AllowUsers": true,
	"DenyGroups": true, "PubkeyAcceptedAlgorithms": true, "HostbasedAuthentication": true, "IgnoreRhosts": true,
	"DisableForwarding": true, "AuthenticationMethods": true, "ForceCommand": true, "IPQoS": true,
	"RekeyLimit": true, "PermitTunnel": true,
}

var matchCriteria = []string{
	"User root", "User alice,bob", "User *,!root", "Group sshusers", "Group users,sudo",
	"Host *.example.com", "Address 10.0.0.0/8", "Address 192.0.2.*,2001:db8::/32",
	"LocalAddress 127.0.0.1", "All", "User carol Address 172.16.0.0/12",
}

func randomCase(r *rand.Rand) string {
	keys := make([]string, 0, len(randomValues))
	for k := range randomValues {
		keys = append(keys, k)
	}
	// map order is random; sort for reproducibility from the seed
	sortStrings(keys)
	var b strings.Builder
	line := func(k, v string) {
		switch r.IntN(4) {
		case 0:
			k = strings.ToLower(k)
		case 1:
			k = strings.ToUpper(k)
		}
		sep := []string{" ", "\t", "=", " = "}[r.IntN(4)]
		fmt.Fprintf(&b, "%s%s%s", k, sep, v)
		if r.IntN(5) == 0 {
			b.WriteString(" # note")
		}
		b.WriteString("\n")
	}
	for range 3 + r.IntN(10) {
		k := keys[r.IntN(len(keys))]
		vs := randomValues[k]
		line(k, vs[r.IntN(len(vs))])
	}
	for range r.IntN(4) {
		fmt.Fprintf(&b, "Match %s\n", matchCriteria[r.IntN(len(matchCriteria))])
		for range 1 + r.IntN(4) {
			k := keys[r.IntN(len(keys))]
			if !matchOK[k] {
				continue
			}
			vs := randomValues[k]
			b.WriteString("\t")
			line(k, vs[r.IntN(len(vs))])
		}
	}
	return b.String()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestOracleRandom generates random valid configurations and requires the
// collector to agree with sshd -T on each (-sshd.seed, -sshd.count).
func TestOracleRandom(t *testing.T) {
	o := needOracle(t)
	r := rand.New(rand.NewPCG(*propSeed, 0x55d))
	for i := range *propCount {
		cfg := randomCase(r)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			compareCase(t, o, corpusCase{name: fmt.Sprint(i), files: map[string]string{"etc/ssh/sshd_config": cfg}, specs: defaultSpecs[:2]}, mustProfile(t, "9.2p1", buildFull, distroDebian))
			if t.Failed() {
				t.Logf("configuration:\n%s", cfg)
			}
		})
	}
}
