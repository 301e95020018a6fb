package store

// Step names a point in the write path where a fault can be injected, so
// tests can show that a failure (or crash) at any of them leaves no partial
// blob and no dangling record.
type Step string

// The write path's steps, in order.
const (
	StepCreateTemp Step = "create-temp" // temporary file created
	StepWrite      Step = "write"       // before each chunk is written
	StepSync       Step = "sync"        // before the temporary file is fsynced
	StepRename     Step = "rename"      // before the rename into blobs/
	StepSyncDir    Step = "sync-dir"    // before blobs/ is fsynced
	StepCatalog    Step = "catalog"     // before the catalog record is committed
)

// FaultFunc is called at each Step; a non-nil error aborts the operation as
// if the underlying system call had failed. Nil in production.
type FaultFunc func(Step) error

func (f FaultFunc) at(s Step) error {
	if f == nil {
		return nil
	}
	return f(s)
}
