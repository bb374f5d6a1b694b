package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/app"
)

func TestServeConfig_TheDashboardIsOnUnlessSetOffEveryIntervalAtMost(t *testing.T) {
	for _, tc := range []struct {
		name         string
		get          func(string) string
		wantOff      bool
		wantInterval time.Duration
		wantErr      string
	}{
		{"by default it is on, every 5 minutes at most", settings(), false, app.DefaultDashboardInterval, ""},
		{"off turns it off", settings("dashboard", "off"), true, app.DefaultDashboardInterval, ""},
		{"an interval is taken as given", settings("dashboard-interval", "1m"), false, time.Minute, ""},
		{"a value that is neither on nor off is refused", settings("dashboard", "no"), false, 0, "CONTRACTBOT_DASHBOARD"},
		{"an interval under a second is refused", settings("dashboard-interval", "10ms"), false, 0, "CONTRACTBOT_DASHBOARD_INTERVAL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := serveConfig(tc.get, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Errorf("err = %v, want one line containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.DashboardOff != tc.wantOff || cfg.DashboardInterval != tc.wantInterval {
				t.Errorf("off %v, interval %v; want %v, %v", cfg.DashboardOff, cfg.DashboardInterval, tc.wantOff, tc.wantInterval)
			}
		})
	}
}
