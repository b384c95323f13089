"""Import paths of the earlier pytest-mrt, kept so existing custom checks keep working."""
