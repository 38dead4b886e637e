"""Embedded biometric engine: pure Python + packaged models, no Django import.

faces     detection (dlib HOG), 5-point alignment, 128-d ResNet descriptor, 1:1 similarity
mesh      mediapipe face mesh: head pose, eye and mouth openness per frame
liveness  challenge sequences and the evaluation of a captured frame set
mrz       ICAO 9303 check digits, TD1/TD2/TD3 parsing, MRZ OCR with tesseract
index     1:N face index for antifraud (vectorised numpy)
"""
