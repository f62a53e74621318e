"""The events WebSocket and its broadcast transport: ``auth`` (who is listening), ``consumers``
(the socket), ``routing`` (its URLs) and ``broadcast`` (groups and sending after commit). It
knows no app: the apps build their events (``properties.events``, ``photos.events``)."""
