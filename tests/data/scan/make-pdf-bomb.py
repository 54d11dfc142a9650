"""Write a one-page PDF holding a 20000x20000 1-bit all-white image
(400 Mpixel; 1.6 GB as a 32-bit surface), about 50 KB compressed.
usage: make-pdf-bomb.py xobject|inline OUT.pdf"""
import sys
import zlib

import pdfwrite

mode, out = sys.argv[1], sys.argv[2]
w = h = 20000
row = b"\xff" * ((w + 7) // 8)
c = zlib.compressobj(9)
data = b"".join(c.compress(row) for _ in range(h)) + c.flush()
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"]
if mode == "xobject":
    content = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
    objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                b"/Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>")
    objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objs.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent 1 /Filter /FlateDecode /Length %d >>\nstream\n" % (w, h, len(data))
                + data + b"\nendstream")
else:
    content = zlib.compress(b"q 595 0 0 842 0 0 cm BI /W %d /H %d /CS /G /BPC 1 /F /Fl ID\n" % (w, h)
                            + data + b"\nEI Q", 9)
    objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>")
    objs.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream")
pdfwrite.write(objs, out)
