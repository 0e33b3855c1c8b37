package json5_test

import (
	"fmt"

	"github.com/connectorkit/connectors/internal/json5"
)

func ExampleSetMember() {
	src := []byte(`{
  // Set by the setup wizard.
  agent: { name: 'Milady' },
  connectors: {
    telegram: { botToken: '123:ABC' }, // the old bot
  },
}
`)
	out, err := json5.SetMember(src, "connectors", "discord", map[string]any{"token": "xyz"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// {
	//   // Set by the setup wizard.
	//   agent: { name: 'Milady' },
	//   connectors: {
	//     telegram: { botToken: '123:ABC' }, // the old bot
	//     "discord": {
	//       "token": "xyz"
	//     },
	//   },
	// }
}

func ExampleDecode() {
	doc, err := json5.Decode([]byte(`{connectors: {telegram: {chats: [0x1F, .5, +Infinity,]}}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(doc["connectors"])

	_, err = json5.Decode([]byte("{\n  botToken: 123:ABC\n}"))
	fmt.Println(err)
	// Output:
	// map[telegram:map[chats:[31 0.5 Infinity]]]
	// json5: line 2, column 16: expected ',' or '}' after an object member
}
