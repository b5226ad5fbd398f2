package sshd

// Source is where a setting came from.
type Source struct {
	Path string `json:"path"`
	Line int    `json:"line"`
}

// slot is one option's value: a single string or a list, plus the line that
// set it (the first line, for lists).
type slot struct {
	s    string
	list []string
	src  Source
	// defaulted: sshd filled the value in, no line set it.
	defaulted bool
	// srcs are the lines of each list element.
	srcs []Source
}

// options is one ServerOptions of sshd: what a pass has set, by slot name.
// Slot names are the keywords sshd -T prints, plus ".part" suffixes for
// options printed from several values (rekeylimit.limit, …).
type options struct {
	v map[string]*slot
	// listen holds ListenAddress lines until ports and address family are
	// known, as sshd's queued_listen_addrs; resolved are the addresses
	// they became (sshd's listen_addrs), as sshd -T prints them.
	listen   []listenSpec
	resolved []resolvedListen
	// subsystems keep their names for the duplicate check.
	subsystems []string
}

type listenSpec struct {
	addr string
	port int
	src  Source
}

type resolvedListen struct {
	addr string // as printed: "0.0.0.0:22", "[::1]:2222"
	src  Source
}

func newOptions() *options { return &options{v: map[string]*slot{}} }

func (o *options) isSet(k string) bool { _, ok := o.v[k]; return ok }

func (o *options) get(k string) (string, bool) {
	if s, ok := o.v[k]; ok {
		return s.s, true
	}
	return "", false
}

func (o *options) listOf(k string) []string {
	if s, ok := o.v[k]; ok {
		return s.list
	}
	return nil
}

// setFirst sets k unless already set (sshd's "if (*intptr == -1)").
func (o *options) setFirst(k, v string, src Source) {
	if !o.isSet(k) {
		o.v[k] = &slot{s: v, src: src}
	}
}

// set overwrites k (the few last-wins options).
func (o *options) set(k, v string, src Source) { o.v[k] = &slot{s: v, src: src} }

// appendList adds to k's list (repeatable keywords).
func (o *options) appendList(k string, src Source, vals ...string) {
	s, ok := o.v[k]
	if !ok {
		s = &slot{src: src}
		o.v[k] = s
	}
	s.list = append(s.list, vals...)
	for range vals {
		s.srcs = append(s.srcs, src)
	}
}

func (o *options) unset(k string) { delete(o.v, k) }
