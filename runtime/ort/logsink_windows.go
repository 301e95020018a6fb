package ort

// createLoggingEnv does nothing on Windows: the binding creates the
// environment, and ONNX Runtime logs with its own printer.
func createLoggingEnv(string, loggingLevel) error { return nil }
