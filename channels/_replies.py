"""Fixed replies of the channel layer (polite Indonesian, WhatsApp-friendly)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ChannelReplies"]


@dataclass(frozen=True)
class ChannelReplies:
    """What the channel layer answers itself, without asking the assistant."""

    media: str = (
        "Terima kasih, kiriman Bapak/Ibu sudah kami terima 🙏 Maaf, kami belum bisa membaca foto, suara, "
        "stiker atau dokumen. Silakan tulis pertanyaan Bapak/Ibu, contoh: *syarat bikin KTP*."
    )
    contact: str = (
        "Terima kasih 🙏 Kontak tidak perlu dikirim dan tidak kami simpan. "
        "Silakan tulis pertanyaan Bapak/Ibu, contoh: *syarat bikin KTP*."
    )
    edited: str = "Pesan yang diubah tidak kami proses ulang 🙏 Silakan kirim pertanyaan Bapak/Ibu sebagai pesan baru."
    flood: str = (
        "Mohon maaf, pesan Bapak/Ibu terlalu banyak dalam waktu singkat. Mohon tunggu sebentar, lalu kirim lagi 🙏"
    )
    expired_button: str = "Maaf, pilihan itu sudah tidak berlaku. Silakan tulis pertanyaan Bapak/Ibu lagi 🙏"
    options_hint: str = "Balas dengan angka pilihan, contoh: *1*."
    location_hint: str = "Atau bagikan lokasi Bapak/Ibu dengan tombol di bawah."
    whatsapp_location: str = (
        "📍 Untuk mengirim lokasi: ketuk 📎 (Android) atau *+* (iPhone), pilih *Lokasi*, "
        "lalu *Kirim lokasi Anda saat ini*."
    )
    choose: str = "Silakan pilih:"
