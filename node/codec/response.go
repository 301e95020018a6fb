package codec

import (
	"bytes"
	"encoding/json"
	"io"
)

// jsonResponseHead is JSONResponse without its outputs.
type jsonResponseHead struct {
	ModelName    string         `json:"model_name"`
	ModelVersion string         `json:"model_version,omitempty"`
	ID           string         `json:"id,omitempty"`
	Parameters   map[string]any `json:"parameters,omitempty"`
}

// WriteJSONResponse writes resp as encoding/json would, but writes each
// output's data (JSON that EncodeJSONTensor made) to w as it is, where
// encoding/json would first copy all of it into one buffer.
func WriteJSONResponse(w io.Writer, resp JSONResponse) error {
	head, err := json.Marshal(jsonResponseHead{resp.ModelName, resp.ModelVersion, resp.ID, resp.Parameters})
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.Write(head[:len(head)-1])
	if resp.Outputs == nil {
		b.WriteString(`,"outputs":null}` + "\n")
		_, err = b.WriteTo(w)
		return err
	}
	b.WriteString(`,"outputs":[`)
	for i, out := range resp.Outputs {
		if i > 0 {
			b.WriteByte(',')
		}
		data := out.Data
		out.Data = nil
		meta, err := json.Marshal(out)
		if err != nil {
			return err
		}
		if len(data) == 0 {
			b.Write(meta)
			continue
		}
		b.Write(meta[:len(meta)-1])
		b.WriteString(`,"data":`)
		if _, err := b.WriteTo(w); err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
		b.WriteByte('}')
	}
	b.WriteString("]}\n")
	_, err = b.WriteTo(w)
	return err
}
