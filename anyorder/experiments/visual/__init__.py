"""Pictures of decoding orders: static (matplotlib, HTML) and the ``anyorder serve`` web app."""
