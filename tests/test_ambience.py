"""Ambience beds and mixing them under the voice: measure what a listener would hear."""

from __future__ import annotations

import numpy as np
import pytest

from sayso.ambience import AMBIENCES, FADE_S, KINDS, REFERENCE_DBFS, synthesize
from sayso.errors import BadOptionError
from sayso.mix import (
    BED_UNDER_PAUSE_DB,
    BED_UNDER_SPEECH_DB,
    CEILING,
    DUCK_HOLD_S,
    NOMINAL_SPEECH_DBFS,
    mix,
)
from sayso.speech import Speech
from sayso.speech import synthesize as speak

RATE = 22050
TEN_S = 10 * RATE


@pytest.fixture(scope="module")
def beds() -> dict[str, np.ndarray]:
    """10 s of each kind, seed 0: (TEN_S,) float32."""
    return {kind: synthesize([kind], TEN_S, RATE) for kind in AMBIENCES}


@pytest.fixture(scope="module")
def voice() -> Speech:
    return speak("I will always love you.", "male")


def db(value: float) -> float:
    return 20 * float(np.log10(value))


def rms(signal: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.asarray(signal, np.float64) ** 2)))


def band_share(signal: np.ndarray, low: float, high: float) -> float:
    """Fraction of the signal's energy between low and high Hz."""
    power = np.abs(np.fft.rfft(signal.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(signal.size, 1 / RATE)
    return float(power[(freqs >= low) & (freqs < high)].sum() / power.sum())


def band(signal: np.ndarray, low: float, high: float) -> np.ndarray:
    spectrum = np.fft.rfft(signal.astype(np.float64))
    freqs = np.fft.rfftfreq(signal.size, 1 / RATE)
    spectrum[(freqs < low) | (freqs >= high)] = 0
    return np.fft.irfft(spectrum, signal.size)


def envelope(signal: np.ndarray, window_s: float) -> np.ndarray:
    """RMS in consecutive windows, (windows,) float64."""
    hop = round(window_s * RATE)
    blocks = signal[: signal.size // hop * hop].astype(np.float64).reshape(-1, hop)
    return np.sqrt(np.mean(blocks**2, axis=1))


def syllable_modulation(signal: np.ndarray) -> float:
    """Power of the 10 ms loudness envelope at 3-6 Hz, relative to its mean (ends cut)."""
    env = envelope(signal, 0.01)[50:-50]
    env = env / env.mean() - 1
    power = np.abs(np.fft.rfft(env)) ** 2 / env.size**2
    freqs = np.fft.rfftfreq(env.size, 0.01)
    return float(power[(freqs >= 3) & (freqs <= 6)].sum())


def kurtosis(signal: np.ndarray) -> float:
    """3 for Gaussian noise; clicks and pings push it up."""
    centred = signal - signal.mean()
    return float(np.mean(centred**4) / np.mean(centred**2) ** 2)


def active_rms(signal: np.ndarray) -> float:
    """RMS of the 5 ms frames within 30 dB of the loudest: the voice's active level."""
    hop = round(0.005 * RATE)
    blocks = signal[: signal.size // hop * hop].astype(np.float64).reshape(-1, hop)
    energy = np.mean(blocks**2, axis=1)
    return float(np.sqrt(energy[energy > energy.max() * 1e-3].mean()))


# ---------------------------------------------------------------------------- the beds


def test_every_kind_has_a_maker_and_the_documented_names() -> None:
    assert AMBIENCES == ("rain", "city", "wind", "room", "cafe")
    assert set(KINDS) == set(AMBIENCES)


def test_unknown_kind_raises_naming_the_choices() -> None:
    with pytest.raises(BadOptionError, match="rain, city, wind, room, cafe") as caught:
        synthesize(["rain", "thunder"], RATE, RATE)
    assert "thunder" in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("num_samples", [0, 1, 7, 1000, RATE + 13, 3 * RATE])
def test_length_and_dtype_are_exact(num_samples: int) -> None:
    for kind in AMBIENCES:
        bed = synthesize([kind], num_samples, RATE)
        assert bed.shape == (num_samples,) and bed.dtype == np.float32
        assert np.all(np.isfinite(bed))


def test_bad_length_or_rate_raise() -> None:
    with pytest.raises(BadOptionError):
        synthesize(["rain"], -1, RATE)
    with pytest.raises(BadOptionError):
        synthesize(["rain"], RATE, 100)


def test_same_arguments_same_samples_other_seed_other_samples() -> None:
    for kind in AMBIENCES:
        first = synthesize([kind], 2 * RATE, RATE, seed=3)
        assert np.array_equal(first, synthesize([kind], 2 * RATE, RATE, seed=3))
        other = synthesize([kind], 2 * RATE, RATE, seed=4)
        assert abs(np.corrcoef(first, other)[0, 1]) < 0.2, kind


def test_levels_are_as_documented_and_room_is_quietest(beds: dict[str, np.ndarray]) -> None:
    middle = slice(RATE, TEN_S - RATE)  # past the fades
    levels = {kind: db(rms(bed[middle])) for kind, bed in beds.items()}
    for kind, level in levels.items():
        assert level == pytest.approx(KINDS[kind].level_dbfs, abs=1.0), kind
    assert min(levels, key=levels.get) == "room"
    assert levels["room"] < REFERENCE_DBFS - 10
    assert all(np.max(np.abs(bed)) < 1.0 for bed in beds.values())


def test_ends_fade_from_silence_without_clicks_or_dc(beds: dict[str, np.ndarray]) -> None:
    edge = round(0.01 * RATE)
    for kind, bed in beds.items():
        assert bed[0] == 0 and bed[-1] == 0, kind
        body = rms(bed[RATE:-RATE])
        assert rms(bed[:edge]) < 0.01 * body and rms(bed[-edge:]) < 0.01 * body, kind
        # Half-way through the fade the level is about half (-6 dB) of the level just after.
        ramp, half = round(FADE_S * RATE), round(FADE_S / 2 * RATE)
        assert rms(bed[half - edge : half + edge]) < 0.75 * rms(bed[ramp : 2 * ramp]), kind
        assert rms(bed[-half - edge : -half + edge]) < 0.75 * rms(bed[-2 * ramp : -ramp]), kind
        assert abs(float(np.mean(bed))) < 0.01 * body, kind


def test_rain_is_bright_wind_is_low(beds: dict[str, np.ndarray]) -> None:
    assert band_share(beds["rain"], 2000, RATE) > 0.3
    assert band_share(beds["rain"], 2000, RATE) > 20 * band_share(beds["wind"], 2000, RATE)
    assert band_share(beds["wind"], 0, 500) > 0.85
    # rain's hiss is band-limited (200 Hz-8 kHz), not full-band white noise
    assert band_share(beds["rain"], 0, 150) < 0.03
    assert band_share(beds["rain"], 9000, RATE) < 0.03


def test_rain_has_droplets_not_just_hiss(beds: dict[str, np.ndarray]) -> None:
    # Gaussian hiss scores 3; hundreds of short ticks a second make the treble spiky.
    assert kurtosis(band(beds["rain"], 4000, 11000)) > 4.5
    assert kurtosis(band(beds["room"], 4000, 11000)) < 3.5


def test_city_rumbles_and_cars_pass(beds: dict[str, np.ndarray]) -> None:
    city = beds["city"]
    assert band_share(city, 0, 300) > 0.5
    # Passing cars: the 300-3000 Hz level rises and falls by several dB within 10 s.
    levels = 20 * np.log10(envelope(band(city, 300, 3000), 0.5)[2:-2])
    assert levels.max() - levels.min() > 6
    room_levels = 20 * np.log10(envelope(band(beds["room"], 300, 3000), 0.5)[2:-2])
    assert room_levels.max() - room_levels.min() < 3


def test_wind_gusts(beds: dict[str, np.ndarray]) -> None:
    levels = 20 * np.log10(envelope(beds["wind"], 0.5)[2:-2])
    assert levels.max() - levels.min() > 4
    room_levels = 20 * np.log10(envelope(beds["room"], 0.5)[2:-2])
    assert room_levels.max() - room_levels.min() < 1.5


def test_cafe_murmurs_at_syllable_rate_and_rain_does_not(beds: dict[str, np.ndarray]) -> None:
    cafe = beds["cafe"]
    assert band_share(cafe, 200, 3000) > 0.8
    assert syllable_modulation(cafe) > 10 * syllable_modulation(beds["rain"])
    assert syllable_modulation(cafe) > 3 * syllable_modulation(beds["room"])
    # cup clinks: sparse pings between 2 and 6 kHz
    assert kurtosis(band(cafe, 2000, 6000)) > 5


def test_room_is_soft_and_dark(beds: dict[str, np.ndarray]) -> None:
    assert band_share(beds["room"], 0, 1500) > 0.95


def test_several_kinds_sum_at_one_kinds_loudness() -> None:
    rain, city = (synthesize([kind], 2 * RATE, RATE) for kind in ("rain", "city"))
    both = synthesize(["rain", "city"], 2 * RATE, RATE)
    np.testing.assert_allclose(both, (rain + city) / np.sqrt(2), atol=1e-6)
    assert db(rms(both)) == pytest.approx(db(rms(rain)), abs=1.5)
    assert np.array_equal(synthesize("rain", RATE, RATE), synthesize(["rain"], RATE, RATE))
    assert not np.any(synthesize([], RATE, RATE))


# ---------------------------------------------------------------------------- the mixer


def test_mix_without_bed_is_unchanged(voice: Speech) -> None:
    out = mix(voice, 100, voice.num_samples + 500)
    assert out.dtype == np.float32 and out.shape == (voice.num_samples + 500,)
    assert np.array_equal(out[100 : 100 + voice.num_samples], voice.samples)
    assert not np.any(out[:100]) and not np.any(out[100 + voice.num_samples :])


def test_mix_keeps_the_voice_samples_where_the_bed_is_silent(voice: Speech) -> None:
    offset, total = RATE // 2, voice.num_samples + RATE
    bed = synthesize(["rain"], total, RATE)
    bed[offset : offset + voice.num_samples // 2] = 0
    out = mix(voice, offset, total, bed=bed)
    dry = mix(voice, offset, total)
    quiet = slice(offset, offset + voice.num_samples // 2)
    assert np.array_equal(out[quiet], dry[quiet])
    assert np.array_equal(mix(voice, offset, total, bed=np.zeros(total, np.float32)), dry)


def bed_gain_db(voice: Speech, offset: int, total: int, bed: np.ndarray) -> np.ndarray:
    """(total,) the bed's level in the mix, dB under the voice's active RMS, for a bed
    at REFERENCE_DBFS: measured as (mix - dry voice) / bed."""
    added = mix(voice, offset, total, bed=bed).astype(np.float64) - mix(voice, offset, total)
    # Near the bed's zero crossings float32 rounding swamps the ratio: leave those out.
    clear = np.abs(bed) > 0.5 * rms(bed)
    gain = np.where(clear, added / np.where(clear, bed, 1.0), np.nan)
    return db(active_rms(voice.samples)) - (REFERENCE_DBFS + 20 * np.log10(gain))


def test_ducking_holds_the_documented_levels(voice: Speech) -> None:
    offset, total = RATE, RATE + voice.num_samples + 3 * RATE
    bed = synthesize(["rain"], total, RATE)
    under = bed_gain_db(voice, offset, total, bed)
    first, last = voice.words[0].start + offset, voice.words[-1].end + offset
    assert np.nanmedian(under[first:last]) == pytest.approx(BED_UNDER_SPEECH_DB, abs=0.5)
    assert np.nanmin(under[first:last]) > BED_UNDER_SPEECH_DB - 1  # no pumping between words
    assert np.nanmedian(under[: offset // 2]) == pytest.approx(BED_UNDER_PAUSE_DB, abs=0.2)
    assert np.nanmedian(under[-RATE // 2 :]) == pytest.approx(BED_UNDER_PAUSE_DB, abs=0.3)
    # Down before the first word (look-ahead), back up within about a second after.
    assert under[first] > BED_UNDER_SPEECH_DB - 1
    assert under[last + round((DUCK_HOLD_S + 1.2) * RATE)] < BED_UNDER_PAUSE_DB + 0.5


def test_ducking_is_smooth(voice: Speech) -> None:
    offset, total = RATE // 2, voice.num_samples + 2 * RATE
    under = bed_gain_db(voice, offset, total, synthesize(["cafe"], total, RATE))
    steps = np.abs(np.diff(under))
    # 9 dB over a 30 ms time constant is ~0.014 dB a sample at most; steps would be zipper noise.
    assert np.nanmax(steps) < 0.03


def test_measured_bed_rms_under_speech_and_in_pauses(voice: Speech) -> None:
    offset, total = RATE, RATE + voice.num_samples + 3 * RATE
    noise = np.random.default_rng(0).standard_normal(total)
    bed = (noise / rms(noise) * 10 ** (REFERENCE_DBFS / 20)).astype(np.float32)
    added = mix(voice, offset, total, bed=bed) - mix(voice, offset, total)
    level = db(active_rms(voice.samples))
    first, last = voice.words[0].start + offset, voice.words[-1].end + offset
    assert level - db(rms(added[first:last])) == pytest.approx(BED_UNDER_SPEECH_DB, abs=1.0)
    assert level - db(rms(added[-2 * RATE :])) == pytest.approx(BED_UNDER_PAUSE_DB, abs=1.0)


def test_silent_clip_gets_the_bed_at_its_no_speech_level() -> None:
    total = 3 * RATE
    bed = synthesize(["city"], total, RATE)
    out = mix(Speech.silence(total), 0, total, bed=bed)
    expected = NOMINAL_SPEECH_DBFS - BED_UNDER_PAUSE_DB - REFERENCE_DBFS
    assert db(rms(out)) - db(rms(bed)) == pytest.approx(expected, abs=0.05)


@pytest.mark.parametrize("kind", AMBIENCES)
def test_every_kind_mixes_within_range(voice: Speech, kind: str) -> None:
    total = voice.num_samples + RATE
    out = mix(voice, RATE // 4, total, bed=synthesize([kind], total, RATE))
    assert out.shape == (total,) and out.dtype == np.float32
    assert np.max(np.abs(out)) <= np.float32(CEILING)


def test_limiter_scales_only_the_bed(voice: Speech) -> None:
    total = voice.num_samples + RATE
    loud = np.random.default_rng(1).uniform(-1, 1, total).astype(np.float32) * 30
    out = mix(voice, 0, total, bed=loud).astype(np.float64)
    dry = mix(voice, 0, total).astype(np.float64)
    assert np.max(np.abs(out)) <= np.float32(CEILING)
    ratio = (out - dry) / loud  # the bed's gain: never negative, never above the unguarded gain
    unguarded = np.max(ratio)
    assert np.min(ratio) >= 0 and np.median(ratio) < unguarded
    assert np.max(np.abs(np.diff(ratio))) < 0.1 * unguarded  # smooth, no chopping


def test_bed_too_short_or_not_audio_is_refused(voice: Speech) -> None:
    total = voice.num_samples + 100
    with pytest.raises(BadOptionError):
        mix(voice, 0, total, bed=np.zeros(total - 1, np.float32))
    with pytest.raises(BadOptionError):
        mix(voice, 0, total, bed=np.zeros((total, 2), np.float32))
    longer = synthesize(["wind"], total + RATE, RATE)
    assert mix(voice, 0, total, bed=longer).shape == (total,)
