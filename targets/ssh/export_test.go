package ssh

import "golang.org/x/crypto/ssh"

// ParseAuthorizedKeyForTest returns the SHA256 fingerprint of a public key
// line.
func ParseAuthorizedKeyForTest(line []byte) (string, string, []string, []byte, error) {
	k, comment, opts, rest, err := ssh.ParseAuthorizedKey(line)
	if err != nil {
		return "", "", nil, nil, err
	}
	return ssh.FingerprintSHA256(k), comment, opts, rest, nil
}
