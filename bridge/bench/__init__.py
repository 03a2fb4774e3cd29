"""Virtual PC/SC test bench: pcscd + vpcd with virtual Vitale and CPS cards (no hardware)."""
