package pipeline

// SetHeldTextBudget sets the budget of document text ReadDocumentFiles
// keeps, for a test; restore puts the default back.
func SetHeldTextBudget(n int64) (restore func()) {
	old := heldTextBudget
	heldTextBudget = n
	return func() { heldTextBudget = old }
}
