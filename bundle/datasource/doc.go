// Package datasource holds what the data sources that reach outside the
// bundle (data "ldap", data "http") share: how a failure to fetch is told
// apart from a mistake in the bundle, and a record of each source's last
// fetch for status pages and metrics.
//
// A bundle mistake (an unknown attribute, an inline password) is the user's
// to fix: exit code 2. A source that cannot be fetched right now (the
// directory is down, the credentials are refused, the environment variable
// holding the password is unset) makes the scan fail with exit code 3: the
// policies would otherwise judge with missing data and a half-judged result
// would look clean. Sources mark such diagnostics with Unavailable; the CLI
// asks IsUnavailable.
//
// The data kinds themselves live in sub-packages and register with
// bundle from init(); bundle/datasource/all imports them all.
package datasource
