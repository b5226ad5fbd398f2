package datasource

// Entries counts a fetched value for reports and metrics: a list's items, an
// object's keys, 1 for a scalar, 0 for null.
func Entries(v any) int {
	switch x := v.(type) {
	case []any:
		return len(x)
	case map[string]any:
		return len(x)
	case nil:
		return 0
	}
	return 1
}
