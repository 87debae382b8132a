"""Registering the webhooks with the platforms (`mpp channels set-webhook`)."""

from __future__ import annotations

from channels._gateway import build_telegram, build_whatsapp
from mpp.settings import Settings

__all__ = ["set_webhooks"]


async def set_webhooks(cfg: Settings) -> tuple[bool, list[str]]:
    """Register the Telegram webhook and describe the Twilio one; returns (all fine, lines to print)."""
    if not cfg.public_base_url:
        return False, ["PUBLIC_BASE_URL belum diisi: webhook memerlukan alamat publik (https://...)."]
    base = cfg.public_base_url.rstrip("/")
    lines: list[str] = []
    ok = True
    if not base.startswith("https://"):
        lines.append(f"Peringatan: {base} bukan https://; Telegram dan Twilio hanya mengirim ke https.")
    telegram = build_telegram(cfg)
    if telegram is None:
        lines.append("Telegram: TELEGRAM_BOT_TOKEN belum diisi, dilewati.")
    else:
        url = f"{base}/webhooks/telegram"
        try:
            done = await telegram.set_webhook(url)
        except Exception as exc:  # noqa: BLE001 (reported to the operator, not raised)
            done = False
            lines.append(f"Telegram: gagal ({type(exc).__name__}: {exc}).")
        finally:
            await telegram.aclose()
        ok = ok and done
        if done:
            lines.append(f"Telegram: webhook terdaftar di {url} (dengan secret token).")
    if build_whatsapp(cfg) is None:
        lines.append("WhatsApp: TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN / TWILIO_WHATSAPP_FROM belum lengkap, dilewati.")
    else:
        lines.append(
            f"WhatsApp: di Twilio Console, WhatsApp sender {cfg.twilio_whatsapp_from} → "
            f"'A message comes in' = {base}/webhooks/twilio/whatsapp (HTTP POST). "
            f"Status callback {base}/webhooks/twilio/status dikirim bersama setiap pesan."
        )
    return ok, lines
