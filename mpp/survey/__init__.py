"""The SKM satisfaction survey (PermenPANRB 14/2017): storing responses, computing the IKM, reporting."""

from mpp.survey._complaint import is_complaint
from mpp.survey._data import Category, Element, Method, method
from mpp.survey.ikm import IkmResult, compute_ikm, required_sample

__all__ = ["Category", "Element", "IkmResult", "Method", "compute_ikm", "is_complaint", "method", "required_sample"]
