"""Who is who: an enterprise account becomes the enterprise only once verified."""
