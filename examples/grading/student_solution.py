def is_palindrome(text):
    """True when text reads the same both ways, ignoring case, spaces and punctuation."""
    letters = [ch.lower() for ch in text if ch.isalnum()]
    return letters == letters[::-1]
