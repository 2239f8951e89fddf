"""The satellite screens: the public booking form and the staff screens."""
