"""Services shared by every domain: errors, the audit log, the commit helper, permissions."""
