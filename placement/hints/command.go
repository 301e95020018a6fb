package hints

import (
	"fmt"
	"slices"

	"github.com/edgeserve/edgeserve/placement/hints/hintspb"
	"google.golang.org/protobuf/proto"
)

// CommandType is the first byte of a log entry. A type is never reused for
// another meaning; a new payload shape gets a new payload version.
type CommandType uint8

const (
	// SetHintsType replaces the hint set (payload hintspb.SetHints).
	SetHintsType CommandType = 1
	// RemoveModelType drops a deleted model's hint (hintspb.RemoveModel).
	RemoveModelType CommandType = 2
)

func (t CommandType) String() string {
	if c, ok := commands[t]; ok {
		return c.name
	}
	return fmt.Sprintf("type-%d", uint8(t))
}

// Command is a decoded log entry: Set for SetHintsType, Model for
// RemoveModelType.
type Command struct {
	Type  CommandType
	Set   *Set
	Model string
}

// command is one row of the dispatch table: the payload version this build
// writes and reads, how to decode the payload, and how the command changes
// the current set (returning the next one, or cur itself for no change).
type command struct {
	name    string
	version byte
	decode  func(payload []byte) (Command, error)
	apply   func(cur *Set, c Command) (*Set, error)
}

// commands is the dispatch table. It is never modified.
var commands = map[CommandType]command{
	SetHintsType:    {name: "set-hints", version: 1, decode: decodeSetHints, apply: applySetHints},
	RemoveModelType: {name: "remove-model", version: 1, decode: decodeRemoveModel, apply: applyRemoveModel},
}

// EncodeSetHints is the log entry that makes s the current set; s must be
// a valid set of generation one more than the current one.
func EncodeSetHints(s *Set) ([]byte, error) {
	if err := Check(s); err != nil {
		return nil, err
	}
	if s.Generation == 0 {
		return nil, fmt.Errorf("%w: set-hints of generation 0", ErrMalformed)
	}
	return encode(SetHintsType, &hintspb.SetHints{Set: toProto(s)})
}

// EncodeRemoveModel is the log entry that drops model's hint.
func EncodeRemoveModel(model string) ([]byte, error) {
	if model == "" {
		return nil, fmt.Errorf("%w: remove-model without a model", ErrMalformed)
	}
	return encode(RemoveModelType, &hintspb.RemoveModel{Model: model})
}

func encode(t CommandType, m proto.Message) ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("hints: encode %s: %w", t, err)
	}
	return append([]byte{byte(t), commands[t].version}, b...), nil
}

// DecodeCommand reads a log entry: its type and payload version must be
// known, and its payload must decode and keep the rules.
func DecodeCommand(b []byte) (Command, error) {
	if len(b) < 2 {
		return Command{}, fmt.Errorf("%w: entry of %d bytes", ErrMalformed, len(b))
	}
	if len(b) > maxEntryBytes {
		return Command{}, fmt.Errorf("%w: entry of %d bytes", ErrMalformed, len(b))
	}
	t := CommandType(b[0])
	c, ok := commands[t]
	if !ok {
		return Command{}, fmt.Errorf("%w: type %d", ErrUnknown, b[0])
	}
	if b[1] != c.version {
		return Command{}, fmt.Errorf("%w: %s version %d", ErrUnknown, t, b[1])
	}
	cmd, err := c.decode(b[2:])
	cmd.Type = t
	return cmd, err
}

func decodeSetHints(b []byte) (Command, error) {
	m := &hintspb.SetHints{}
	if err := proto.Unmarshal(b, m); err != nil {
		return Command{}, fmt.Errorf("%w: set-hints: %w", ErrMalformed, err)
	}
	s, err := fromProto(m.Set)
	if err != nil {
		return Command{}, err
	}
	if s.Generation == 0 {
		return Command{}, fmt.Errorf("%w: set-hints of generation 0", ErrMalformed)
	}
	return Command{Set: s}, nil
}

func decodeRemoveModel(b []byte) (Command, error) {
	m := &hintspb.RemoveModel{}
	if err := proto.Unmarshal(b, m); err != nil {
		return Command{}, fmt.Errorf("%w: remove-model: %w", ErrMalformed, err)
	}
	if m.Model == "" {
		return Command{}, fmt.Errorf("%w: remove-model without a model", ErrMalformed)
	}
	return Command{Model: m.Model}, nil
}

// applySetHints takes the set when it was planned from the current one.
func applySetHints(cur *Set, c Command) (*Set, error) {
	if c.Set.Generation != cur.Generation+1 {
		return cur, fmt.Errorf("%w: %d after %d", ErrStale, c.Set.Generation, cur.Generation)
	}
	return c.Set, nil
}

// applyRemoveModel drops the model's hint and demand figure and bumps the
// generation; a model without a hint changes nothing.
func applyRemoveModel(cur *Set, c Command) (*Set, error) {
	if _, ok := cur.Hint(c.Model); !ok {
		return cur, nil
	}
	next := cur.Clone()
	next.Generation++
	next.Hints = slices.DeleteFunc(next.Hints, func(h Hint) bool { return h.Model == c.Model })
	next.Demand = slices.DeleteFunc(next.Demand, func(d Rate) bool { return d.Model == c.Model })
	return next, nil
}
