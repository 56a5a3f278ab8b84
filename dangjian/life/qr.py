"""QR codes for meeting sign-in, drawn server-side as inline SVG (segno; no script, no external call)."""

from django.urls import reverse

from . import services


def signin_url(request, meeting):
    return request.build_absolute_uri(reverse("life:signin", args=[services.signin_token(meeting)]))


def svg(url):
    import segno

    return segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff",
                                                  svgclass="qr-code img-fluid", omitsize=True)
