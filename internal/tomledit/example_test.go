package tomledit_test

import (
	"fmt"

	"github.com/connectorkit/connectors/internal/tomledit"
)

func ExampleSet() {
	src := []byte(`# The host's own settings.
model = "large"

# Telegram, from @BotFather.
[connectors.telegram]
botToken = 'literal'   # kept as written
port     = 0x1F90
`)
	// Change one value; the rest of the file keeps its bytes.
	out, err := tomledit.Set(src, "connectors", "telegram", map[string]any{
		"botToken": "literal",
		"port":     int64(8080),
		"dm":       true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Add another connector after the last one.
	out, err = tomledit.Set(out, "connectors", "discord", map[string]any{"token": "${DISCORD_TOKEN}"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// # The host's own settings.
	// model = "large"
	//
	// # Telegram, from @BotFather.
	// [connectors.telegram]
	// botToken = 'literal'   # kept as written
	// port     = 0x1F90
	// dm = true
	//
	// [connectors.discord]
	// token = "${DISCORD_TOKEN}"
}
